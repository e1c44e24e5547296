// Package indexer turns folders of article pages into bleve indexes.
//
// It reads pages with package page, enriches them with places, topics and
// dates (enrich/, places_dict.go), makes documents (document.go) and
// encodes them for bleve from the mapping (mapping.go, blevedoc.go, with a
// one-pass bigram counter in bigram.go). The build (build.go) analyses
// pages on parallel workers into zap segments merged once into the
// generation's single segment (offline.go), writes the generation's
// metadata and compiled dictionary, and switches it in atomically through
// a CURRENT pointer (generation.go); manager.go runs builds in the
// background for a server. Text analysis itself is package analysis.
package indexer

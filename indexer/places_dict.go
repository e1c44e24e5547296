package indexer

import "healthsearch/indexer/enrich"

// defaultEnrich uses the embedded gazetteer and topic taxonomy.
func defaultEnrich(title, text string) Enrichment {
	r := enrich.Default().Enrich(title, text)
	return Enrichment{Provinces: r.Provinces, Cities: r.Cities, Topics: r.Topics}
}

package analysis

import "healthsearch/indexer/enrich"

// placeWords lists the gazetteer's place names for the segmenter, so 崇左 or
// 扶绥 stay one word. Names that are also ordinary words are left out by the
// gazetteer, so they don't glue onto neighbours (抗原阳性 is not 原阳).
func placeWords() []string { return enrich.Default().PlaceWords() }

package indexer

// placeWords lists the gazetteer's place names for the segmenter.
func placeWords() []string { return nil }

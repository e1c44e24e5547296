package scorchx

import (
	"encoding/binary"
	"math"

	index "github.com/blevesearch/bleve_index_api"
)

// DocNum is the document number of a scorch internal id: eight bytes, big
// endian. ok is false for an id of another shape or beyond uint32.
func DocNum(id index.IndexInternalID) (doc uint32, ok bool) {
	n, ok := Num(id)
	if !ok || n > math.MaxUint32 {
		return 0, false
	}
	return uint32(n), true
}

// Num is DocNum as the full 64-bit number.
func Num(id index.IndexInternalID) (uint64, bool) {
	if len(id) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(id), true
}

// InternalID is the internal id of document number doc.
func InternalID(doc uint32) index.IndexInternalID {
	id := make(index.IndexInternalID, 8)
	PutDocNum(id, doc)
	return id
}

// PutDocNum writes doc's internal id into id, which has 8 bytes.
func PutDocNum(id index.IndexInternalID, doc uint32) {
	binary.BigEndian.PutUint64(id, uint64(doc))
}

package scorchx

import (
	"fmt"
	"math"

	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
)

// VisitStored calls visit for every stored field of every live document of
// r, with the document's number, reading a scorch snapshot segment by
// segment: no id lookup and no document built per document. A snapshot
// numbers its documents segment after segment, deleted ones included. ok
// is false, and nothing is visited, when r is not a scorch snapshot.
func VisitStored(r index.IndexReader, visit func(doc uint32, field string, value []byte) error) (ok bool, err error) {
	snap, isSnap := r.(*scorch.IndexSnapshot)
	if !isSnap {
		return false, nil
	}
	var offset uint64
	for _, seg := range snap.Segments() {
		it := seg.DocNumbersLive().Iterator()
		for it.HasNext() {
			local := uint64(it.Next())
			if offset+local > math.MaxUint32 {
				return true, fmt.Errorf("document number %d out of range", offset+local)
			}
			doc := uint32(offset + local)
			var verr error
			err := seg.VisitDocument(local, func(field string, _ byte, value []byte, _ []uint64) bool {
				verr = visit(doc, field, value)
				return verr == nil
			})
			if err == nil {
				err = verr
			}
			if err != nil {
				return true, err
			}
		}
		offset += seg.Segment().Count()
	}
	return true, nil
}

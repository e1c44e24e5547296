package indexer

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/util"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
	zap "github.com/blevesearch/zapx/v16"
	bolt "go.etcd.io/bbolt"
)

// A generation is written once and never updated, so the build skips
// scorch's machinery for live indexes (introducer, persister, the merger
// that re-merges the same documents tier after tier while the build runs,
// checks of every batch's ids against every segment for updates) and does
// what bleve's offline builder (bleve.NewBuilder) does, in parallel: each
// worker turns its batches of analysed documents into zap segment files,
// and one merge at the end makes them the index's only segment. (The
// builder itself analyses and encodes under one lock, on one core.)
//
// One segment, because a generation is never written again and a search
// reads every segment's dictionary, postings and doc values: a single
// segment takes about a third less CPU per query than a dozen.
//
// The result is the index the builder writes: index_meta.json, and a
// store/ with the segment and a root.bolt naming it.

// segPlugin is scorch's default segment format, the one bleve.New uses.
var segPlugin = &zap.ZapPlugin{}

// partWriter writes batches of analysed documents as segment files into dir.
type partWriter struct {
	dir string

	mu    sync.Mutex
	next  int
	parts []string
}

// write encodes docs as one segment file. The files are scratch, read once
// by the final merge, so they are not synced: a crash leaves them in the
// .building directory that the next build removes.
func (w *partWriter) write(docs []index.Document) (err error) {
	seg, _, err := segPlugin.New(docs)
	if err != nil {
		return fmt.Errorf("encode segment: %w", err)
	}
	defer seg.Close()
	w.mu.Lock()
	path := filepath.Join(w.dir, fmt.Sprintf("part-%06d.zap", w.next))
	w.next++
	w.mu.Unlock()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("write segment: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	_, werr := seg.(*zap.SegmentBase).WriteTo(bw)
	if werr == nil {
		werr = bw.Flush()
	}
	if err := errors.Join(werr, f.Close()); err != nil {
		os.Remove(path)
		return fmt.Errorf("write segment: %w", err)
	}
	w.mu.Lock()
	w.parts = append(w.parts, path)
	w.mu.Unlock()
	return nil
}

// The names bleve's builder gives the final segment and its snapshot
// (those of a scorch index after one batch); segment numbers only have to
// be unique within the index.
const (
	finalSegmentFile   = "000000000002.zap"
	finalSnapshotEpoch = 3
	finalSegmentID     = 0
)

// finishIndex merges the part files into the only segment of a new index
// at path and writes the files that make path an index bleve.Open reads.
// With no parts (every page skipped) it creates an empty index instead.
func finishIndex(ctx context.Context, path string, m mapping.IndexMapping, parts []string) error {
	if len(parts) == 0 {
		idx, err := bleve.New(path, m)
		if err != nil {
			return fmt.Errorf("create index: %w", err)
		}
		return idx.Close()
	}
	store := filepath.Join(path, "store")
	if err := os.MkdirAll(store, 0o700); err != nil {
		return err
	}
	final := filepath.Join(store, finalSegmentFile)
	if len(parts) == 1 {
		// Parts are not synced; the index's segment must be, as the merge
		// syncs the segment it writes.
		if err := syncFile(parts[0]); err != nil {
			return err
		}
		if err := os.Rename(parts[0], final); err != nil {
			return err
		}
	} else if err := mergeParts(ctx, parts, final); err != nil {
		return err
	}
	mappingJSON, err := util.MarshalJSON(m)
	if err != nil {
		return err
	}
	if err := writeRootBolt(filepath.Join(store, "root.bolt"), mappingJSON); err != nil {
		return fmt.Errorf("write root.bolt: %w", err)
	}
	// What bleve.New writes: scorch ignores the storage name.
	meta, _ := json.Marshal(struct {
		Storage   string `json:"storage"`
		IndexType string `json:"index_type"`
	}{"boltdb", "scorch"})
	return os.WriteFile(filepath.Join(path, "index_meta.json"), meta, 0o666)
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// mergeParts merges every part into one segment file in a single pass.
func mergeParts(ctx context.Context, parts []string, out string) error {
	sort.Strings(parts)
	segs := make([]segment.Segment, 0, len(parts))
	defer func() {
		for _, s := range segs {
			s.Close()
		}
	}()
	for _, p := range parts {
		s, err := segPlugin.Open(p)
		if err != nil {
			return fmt.Errorf("open segment %s: %w", filepath.Base(p), err)
		}
		segs = append(segs, s)
	}
	closeCh := make(chan struct{})
	stop := context.AfterFunc(ctx, func() { close(closeCh) })
	defer stop()
	if _, _, err := segPlugin.Merge(segs, make([]*roaring.Bitmap, len(segs)), out, closeCh, nil); err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return fmt.Errorf("merge segments: %w", err)
	}
	for _, s := range segs {
		s.Close()
	}
	segs = nil
	for _, p := range parts {
		os.Remove(p)
	}
	return nil
}

// writeRootBolt writes the snapshot record of an index with the final
// segment as its only segment, as scorch.Builder.Close does (see
// prepareBoltSnapshot in bleve's index/scorch/persister.go): one snapshot
// bucket holding the segment format, the internal key/values (the index
// mapping) and the segment's file name.
func writeRootBolt(path string, mappingJSON []byte) error {
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		return err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		snapshots, err := tx.CreateBucketIfNotExists(util.BoltSnapshotsBucket)
		if err != nil {
			return err
		}
		snap, err := snapshots.CreateBucket(uvarintAscending(finalSnapshotEpoch))
		if err != nil {
			return err
		}
		meta, err := snap.CreateBucket(util.BoltMetaDataKey)
		if err != nil {
			return err
		}
		version := make([]byte, binary.MaxVarintLen32)
		binary.BigEndian.PutUint32(version, segPlugin.Version())
		stamp, err := time.Now().MarshalText()
		if err != nil {
			return err
		}
		internal, err := snap.CreateBucket(util.BoltInternalKey)
		if err != nil {
			return err
		}
		seg, err := snap.CreateBucket(uvarintAscending(finalSegmentID))
		if err != nil {
			return err
		}
		return errors.Join(
			meta.Put(util.BoltMetaDataSegmentTypeKey, []byte(segPlugin.Type())),
			meta.Put(util.BoltMetaDataSegmentVersionKey, version),
			meta.Put(util.BoltMetaDataTimeStamp, stamp),
			internal.Put(util.MappingInternalKey, mappingJSON),
			seg.Put(util.BoltPathKey, []byte(finalSegmentFile)),
		)
	})
	return errors.Join(err, db.Close())
}

// uvarintAscending is scorch's order-preserving key encoding
// (encodeUvarintAscending) for the small numbers used here: one byte,
// 0x88 + v.
func uvarintAscending(v uint64) []byte {
	if v > 109 {
		panic("uvarintAscending: only small values are encoded")
	}
	return []byte{0x88 + byte(v)}
}

package aggregator

import (
	"cmp"
	"slices"
	"sync"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// fakeStorage is an in-memory Storage: blocks by (tier, series, start),
// a write replacing one with the same key, as storage.DB does. failWrite
// and failRead make the calls fail.
type fakeStorage struct {
	mu                  sync.Mutex
	metas               map[uint64][]byte
	blocks              map[blockKey]storage.Block
	writes, enforces    int
	lastWrite           []storage.Block
	failWrite, failRead error
}

type blockKey struct {
	tier   storage.Tier
	series uint64
	start  int64
}

func newFakeStorage() *fakeStorage {
	return &fakeStorage{metas: map[uint64][]byte{}, blocks: map[blockKey]storage.Block{}}
}

func (f *fakeStorage) Write(series []storage.SeriesMeta, blocks []storage.Block) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failWrite != nil {
		return f.failWrite
	}
	f.writes++
	f.lastWrite = f.lastWrite[:0]
	for _, m := range series {
		f.metas[m.Key] = slices.Clone(m.Meta)
	}
	for _, b := range blocks {
		b.Data = slices.Clone(b.Data)
		f.blocks[blockKey{b.Tier, b.Series, b.Start}] = b
		f.lastWrite = append(f.lastWrite, b)
	}
	return nil
}

func (f *fakeStorage) Series() ([]storage.SeriesMeta, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failRead != nil {
		return nil, f.failRead
	}
	var out []storage.SeriesMeta
	for k, m := range f.metas {
		out = append(out, storage.SeriesMeta{Key: k, Meta: slices.Clone(m)})
	}
	slices.SortFunc(out, func(a, b storage.SeriesMeta) int { return cmp.Compare(a.Key, b.Key) })
	return out, nil
}

func (f *fakeStorage) Blocks(t storage.Tier, series uint64, from, to int64, fn func(storage.Block) bool) error {
	f.mu.Lock()
	if f.failRead != nil {
		f.mu.Unlock()
		return f.failRead
	}
	var bs []storage.Block
	for k, b := range f.blocks {
		if k.tier == t && k.series == series && b.Start <= to && b.End >= from {
			b.Data = slices.Clone(b.Data)
			bs = append(bs, b)
		}
	}
	f.mu.Unlock()
	slices.SortFunc(bs, func(a, b storage.Block) int { return cmp.Compare(a.Start, b.Start) })
	for _, b := range bs {
		more := fn(b)
		for i := range b.Data { // Data is only valid inside fn: catch a reader keeping it
			b.Data[i] = 0xa5
		}
		if !more {
			break
		}
	}
	return nil
}

func (f *fakeStorage) Replace(series []storage.SeriesMeta, remove []storage.BlockRef, blocks []storage.Block) error {
	f.mu.Lock()
	if f.failWrite != nil {
		f.mu.Unlock()
		return f.failWrite
	}
	for _, r := range remove {
		delete(f.blocks, blockKey{r.Tier, r.Series, r.Start})
	}
	f.mu.Unlock()
	return f.Write(series, blocks)
}

func (f *fakeStorage) Enforce() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.enforces++
	return nil
}

// tierBlocks returns the stored blocks of a tier and series, by Start.
func (f *fakeStorage) tierBlocks(t storage.Tier, series uint64) []storage.Block {
	var out []storage.Block
	_ = f.Blocks(t, series, -1<<62, 1<<62, func(b storage.Block) bool {
		b.Data = slices.Clone(b.Data)
		out = append(out, b)
		return true
	})
	return out
}

package aggregator

import (
	"testing"
	"unsafe"
)

func BenchmarkZZSizes(b *testing.B) {
	for b.Loop() {
		a, _, _ := benchStore(b, Options{RetainDeltas: 1}, 1000, 900)
		var bins, pend, lbl int
		for _, s := range a.st.all {
			for i := range s.wins {
				bins += cap(s.wins[i].hist.pos.bins)*4 + cap(s.wins[i].hist.neg.bins)*4
			}
			pend += cap(s.pending) * 16
			lbl += cap(s.labels) * 32
		}
		b.Logf("series %d window %d bins/series %d pending/series %d labels %d cursor %d hist %d", unsafe.Sizeof(series{}), unsafe.Sizeof(window{}), bins/1000, pend/1000, lbl/1000, unsafe.Sizeof(cursor{}), unsafe.Sizeof(history{}))
	}
}

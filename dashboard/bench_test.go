package dashboard

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkFanout measures one delta going out to every client of a
// dashboard, all in this process over loopback TCP: the time from the push
// until each client has read it. ns/op is per delta; ns/msg per delta and
// client (server and client work together, as on a shared machine).
func BenchmarkFanout(b *testing.B) {
	for _, clients := range []int{100, 1000} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			f := newFixture(b, fixtureOptions{})
			f.pushAndWait(20, 0)
			var got atomic.Int64
			var target atomic.Int64
			reached := make(chan struct{}, 1)
			for range clients {
				c := f.dial("resume=0", nil)
				c.readType("hello")
				c.readType("snapshot")
				go func() {
					for {
						if _, _, err := c.conn.ReadMessage(); err != nil {
							return
						}
						if got.Add(1) == target.Load() {
							reached <- struct{}{}
						}
					}
				}()
			}
			b.ResetTimer()
			for i := range b.N {
				target.Store(int64(clients) * int64(i+1))
				f.push(20, float64(i))
				select {
				case <-reached:
				case <-time.After(30 * time.Second):
					b.Fatalf("delta %d reached %d of %d clients", i, got.Load()-int64(clients*i), clients)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(clients), "ns/msg")
		})
	}
}

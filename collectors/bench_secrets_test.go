package collectors

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pulseboard/pulseboard/configs"
)

// BenchmarkScrapeWithSecrets reads the node_exporter fixture (about 500
// series) with a source that has credentials (a bearer token and a query
// value, in every form Secrets lists), none of which the body holds: the
// cost of looking for them. "new" reads every series afresh, as the first
// scrape does (each is masked as it is created); "known" reads through the
// series cache, as every later scrape does, and must cost what it costs
// without secrets.
func BenchmarkScrapeWithSecrets(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "node_exporter.prom"))
	if err != nil {
		b.Fatal(err)
	}
	client := configs.HTTPClient{URL: "http://host:9100/metrics?token=QSECRETvalue99",
		Headers: map[string]string{"Authorization": "Bearer BEARERSECRETxyz"}}
	for _, c := range []struct {
		name   string
		redact *configs.Redactor
	}{{"none", nil}, {"secrets", configs.NewRedactor(client.Secrets())}} {
		b.Run("new/"+c.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := scrapeProm(body, ctClassic, scrapeOptions{promFilter: promFilter{maxSeries: 10000}, redact: c.redact}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("known/"+c.name, func(b *testing.B) {
			opt := scrapeOptions{promFilter: promFilter{maxSeries: 10000}, redact: c.redact, cache: newSeriesCache()}
			if _, err := scrapeProm(body, ctClassic, opt); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := scrapeProm(body, ctClassic, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

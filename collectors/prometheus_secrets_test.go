package collectors

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

// labelEchoTarget is a hostile target: it writes the credentials of the
// request (the Authorization header's token, a header's value, the query)
// into a metric name, a label name and label values.
func labelEchoTarget(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "m{a=%q,b=%q,q=%q} 1\n", bearer, r.Header.Get("X-Token"), r.URL.RequestURI())
		fmt.Fprintf(w, "tok_%s_total{l_%s=\"v\"} 2\n", r.URL.Query().Get("token"), r.Header.Get("X-Token"))
		fmt.Fprintf(w, "plain{x=\"y\"} 3\n")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A target that echoes the source's credentials into names and label
// values has them masked before the samples leave the source, at every
// scrape (the second is read through the series cache); each such series
// is counted once, when first read, with a warning.
func TestEchoedSecretsMaskedInSeries(t *testing.T) {
	srv := labelEchoTarget(t)
	cfg := urlSource(configs.TypePrometheus, srv.URL+"/echo?token=QSECRETvalue99")
	client(cfg).Headers = map[string]string{"Authorization": "Bearer BEARERSECRETxyz", "X-Token": "HDRSECRETabc123"}
	src, err := NewSource(cfg, testEnv(nil))
	require.NoError(t, err)
	defer closeSource(src, Env{}.logger(), nil)

	for scrape := range 2 {
		samples, err := src.Poll(t.Context())
		require.NoError(t, err)
		text := fmt.Sprint(samples)
		for _, secret := range []string{"BEARERSECRETxyz", "HDRSECRETabc123", "QSECRETvalue99"} {
			require.NotContains(t, text, secret, "scrape %d", scrape)
		}
		require.Len(t, samples, 3)
		byName := map[string]aggregator.Sample{}
		for _, s := range samples {
			byName[s.Metric] = s
		}
		require.Equal(t, aggregator.Labels{{Name: "a", Value: "xxxxx"}, {Name: "b", Value: "xxxxx"}, {Name: "q", Value: "/echo?token=xxxxx"}}, byName["m"].Labels)
		require.Equal(t, aggregator.Labels{{Name: "l_xxxxx", Value: "v"}}, byName["tok_xxxxx_total"].Labels)
		require.Equal(t, aggregator.Labels{{Name: "x", Value: "y"}}, byName["plain"].Labels)

		p := src.(PartialReporter).LastPartial()
		if scrape == 0 {
			require.Equal(t, 2, p.Masked)
			require.Len(t, p.Errors, 1)
			require.Contains(t, p.Errors[0].Error(), "masked the source's credentials (xxxxx) in 2 new series")
		} else {
			require.Zero(t, p.Masked, "a known series is not counted again")
		}
	}
}

// Two label names that become one once masked refuse the series as a
// label given twice would be, and the result is sorted by name.
func TestMaskEchoedSecretsNames(t *testing.T) {
	r := configs.NewRedactor([]string{"SECRETone", "SECRETtwo"})
	_, _, masked, problem := maskEchoedSecrets(r, "m", aggregator.Labels{{Name: "a_SECRETone", Value: "1"}, {Name: "a_SECRETtwo", Value: "2"}})
	require.True(t, masked)
	require.Contains(t, problem, "label a_xxxxx given twice")

	metric, ls, masked, problem := maskEchoedSecrets(r, "m_SECRETone", aggregator.Labels{{Name: "a", Value: "SECRETtwo"}, {Name: "zSECRETone", Value: "1"}, {Name: "y", Value: "2"}})
	require.True(t, masked)
	require.Empty(t, problem)
	require.Equal(t, "m_xxxxx", metric)
	require.Equal(t, aggregator.Labels{{Name: "a", Value: "xxxxx"}, {Name: "y", Value: "2"}, {Name: "zxxxxx", Value: "1"}}, ls)

	_, ls, masked, _ = maskEchoedSecrets(nil, "m", aggregator.Labels{{Name: "a", Value: "b"}})
	require.False(t, masked)
	require.Equal(t, aggregator.Labels{{Name: "a", Value: "b"}}, ls)
}

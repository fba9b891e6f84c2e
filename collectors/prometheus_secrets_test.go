package collectors

import (
	"encoding/base64"
	"encoding/hex"
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

// The trial's echo target (issue 14, round 6, F5) sends the credentials
// back re-encoded: in other cases, in base64 (both alphabets, padded or
// not), in hex, and the user info as "user:password" in base64 and hex.
// Every such label value, and the error of a body that quotes one, is
// masked before it leaves the source.
func TestEchoedSecretFormsMaskedInSeries(t *testing.T) {
	forms := func(secret string) map[string]string {
		out := map[string]string{
			"upper": strings.ToUpper(secret), "lower": strings.ToLower(secret),
			"hex": hex.EncodeToString([]byte(secret)), "hexupper": strings.ToUpper(hex.EncodeToString([]byte(secret))),
		}
		for name, enc := range map[string]*base64.Encoding{"b64": base64.StdEncoding, "b64url": base64.URLEncoding, "b64raw": base64.RawStdEncoding, "b64rawurl": base64.RawURLEncoding} {
			out[name] = enc.EncodeToString([]byte(secret))
		}
		return out
	}
	fail := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		// The URL's user info is not sent beside a Bearer header (Go sends
		// it as Basic only with no Authorization set): it is echoed as the
		// target knows it.
		user, pass := "puser", "PassW0rdS3cret77"
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		if fail {
			fmt.Fprintf(w, "m{a=\"%s\"} notanumber\n", strings.ToLower(bearer))
			return
		}
		for name, v := range forms(bearer) {
			fmt.Fprintf(w, "bearer{form=%q,v=%q} 1\n", name, v)
		}
		for name, v := range forms(pass) {
			fmt.Fprintf(w, "pass{form=%q,v=%q} 1\n", name, v)
		}
		for name, v := range forms(user + ":" + pass) {
			if name != "upper" && name != "lower" {
				fmt.Fprintf(w, "userpass{form=%q,v=%q} 1\n", name, v)
			}
		}
	}))
	t.Cleanup(srv.Close)
	cfg := urlSource(configs.TypePrometheus, strings.Replace(srv.URL, "http://", "http://puser:PassW0rdS3cret77@", 1)+"/echo")
	client(cfg).Headers = map[string]string{"Authorization": "Bearer Sup3rSecretTok3nABC"}
	src, err := NewSource(cfg, testEnv(nil))
	require.NoError(t, err)
	defer closeSource(src, Env{}.logger(), nil)

	samples, err := src.Poll(t.Context())
	require.NoError(t, err)
	require.Len(t, samples, 8+8+6)
	for _, s := range samples {
		v, _ := labelValue(s.Labels, "v")
		require.Equal(t, configs.URLMask, v, "%s %v", s.Metric, s.Labels)
	}
	require.Equal(t, 8+8+6, src.(PartialReporter).LastPartial().Masked)

	fail = true
	_, err = src.Poll(t.Context())
	require.Error(t, err)
	require.Contains(t, err.Error(), "sup3rsecrettok3nabc", "the source's own error, before the collector shows it")
	shown := shownText(cfg.Redactor(), maskedError(err, cfg.Redactor()).Error())
	require.NotContains(t, strings.ToLower(shown), "sup3rsecrettok3nabc", "last_error and the log")
}

package configs

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSourceSecretsFromTheSpec(t *testing.T) {
	for _, spec := range []SourceSpec{NewPrometheusSpec(), NewJSONSpec(), NewHTTPSpec()} {
		var c *HTTPClient
		switch s := spec.(type) {
		case *PrometheusSpec:
			c = &s.HTTPClient
		case *JSONSpec:
			c = &s.HTTPClient
		case *HTTPSpec:
			c = &s.HTTPClient
		}
		c.URL = "http://us%40er:p%2Fss@host:9100/m?token=sup3rs3cret&name=a%20b&bare"
		c.Headers = map[string]string{
			"Authorization":       "Bearer b34rer",
			"x-api-key":           "k3y",
			"Cookie":              "session=c00kie",
			"Proxy-Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("bob:hunter2")),
			"Accept-Encoding":     "gzip",
			"accept":              "text/plain",
		}
		src := Source{Name: "s", Spec: spec}
		got := src.Secrets()
		for _, want := range []string{
			"us%40er", "us@er", "p%2Fss", "p/ss", // user info as written and decoded
			"sup3rs3cret", "a%20b", "a b", "bare", // every query value, a bare item whole
			"Bearer b34rer", "b34rer", "k3y", "session=c00kie", // every header value, an auth scheme's credentials
			"bob", "hunter2", // what Basic encodes
		} {
			require.Contains(t, got, want, "%T", spec)
		}
		require.NotContains(t, got, "gzip", "content negotiation is no secret")
		require.NotContains(t, got, "text/plain")
	}
	require.Empty(t, Source{Name: "sim", Spec: NewSimulatedSpec()}.Secrets(), "a type with no secrets")
	require.Empty(t, Source{Name: "none"}.Secrets())
}

// clientFields holds an HTTPClient as a named field, not embedded: it is found
// all the same.
type clientFields struct {
	Target HTTPClient  `yaml:"target"`
	Backup *HTTPClient `yaml:"backup"`
}

func (*clientFields) Validate() error { return nil }

func TestSourceSecretsFoundInAnyField(t *testing.T) {
	spec := &clientFields{Target: HTTPClient{URL: "http://h/?t=t0ken1"}, Backup: &HTTPClient{Headers: map[string]string{"X-Key": "t0ken2"}}}
	got := Source{Name: "n", Spec: spec}.Secrets()
	require.Contains(t, got, "t0ken1")
	require.Contains(t, got, "t0ken2")
}

func TestRedactorMasksSecretsAnywhere(t *testing.T) {
	r := NewRedactor([]string{"sup3rs3cret", "sup3r", "k3y", "1", "on", ""})
	for _, tc := range []struct{ in, want string }{
		{`while parsing: "requested /echo200?token=sup3rs3cret"`, `while parsing: "requested /echo200?token=xxxxx"`},
		{`GET http://h/m?token=sup3rs3cret: parsing: "sup3rs3cret"`, `GET http://h/m?token=xxxxx: parsing: "xxxxx"`},
		{"sup3r and sup3rs3cret", "xxxxx and xxxxx"}, // the longer one is masked whole
		{"key k3y, dropped 1 series, on", "key xxxxx, dropped 1 series, on"},
		{"nothing here", "nothing here"},
	} {
		require.Equal(t, tc.want, r.Redact(tc.in), tc.in)
	}
	var none *Redactor
	require.Equal(t, "GET http://xxxxx@h/", none.Redact("GET http://u@h/"), "nil: URLs only")
	require.Equal(t, "sup3rs3cret", NewRedactor(nil).Redact("sup3rs3cret"))
}

// TestURLUserInfoSecretsHoldItsBasicForms: Go sends a URL's user info as
// an Authorization: Basic header, so a target echoing it shows the base64
// of "user:password" (decoded, not as written), in any of its alphabets.
func TestURLUserInfoSecretsHoldItsBasicForms(t *testing.T) {
	c := &HTTPClient{URL: "http://us%40er:p%3Fss%3E%3E@host/m"}
	got := c.Secrets()
	raw := []byte("us@er:p?ss>>")
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		require.Contains(t, got, enc.EncodeToString(raw))
	}
	require.NotEqual(t, base64.StdEncoding.EncodeToString(raw), base64.URLEncoding.EncodeToString(raw), "the fixture tells the alphabets apart")

	// A user with no password is sent as "user:".
	got = (&HTTPClient{URL: "http://al1ce@host/m"}).Secrets()
	require.Contains(t, got, base64.StdEncoding.EncodeToString([]byte("al1ce:")))
}

// TestRedactorClipMasksThenCuts: a secret across the cut is masked whole,
// and a cut text ending in the first three bytes or more of a secret has
// that tail masked too.
func TestRedactorClipMasksThenCuts(t *testing.T) {
	r := NewRedactor([]string{"SECRETK45"})
	for pad := 0; pad <= 12; pad++ {
		got, _ := r.Clip(strings.Repeat("A", pad)+"SECRETK45 tail", 10)
		require.NotContains(t, got, "SEC", "pad %d", pad)
	}
	got, cut := r.Clip("ab SECRETK4 then", 11)
	require.True(t, cut)
	require.Equal(t, "ab "+URLMask, got, "a tail that begins a secret")
	got, cut = r.Clip("ab SE", 5)
	require.Equal(t, "ab SE", got, "two bytes are no secret, and nothing was cut")
	require.False(t, cut)
	got, _ = r.Clip("éé", 3)
	require.Equal(t, "é", got, "cut on a character boundary")
	got, _ = (*Redactor)(nil).Clip("abcdef", 3)
	require.Equal(t, "abc", got)
}

// A token no Authorization header can carry (a newline, a space, a control
// or non-ASCII character) and a viewer token that is the admin token are
// refused at the key, and the error never quotes the token.
func TestAuthTokensRefused(t *testing.T) {
	cases := []struct{ auth, want string }{
		{`{admin_token: "ADMSEC9\n"}`, "a.yaml:1:44: server.auth.admin_token: has a space, control or non-ASCII character: a token is visible ASCII characters only"},
		{`{viewer_token: "VIEW SEC"}`, "a.yaml:1:45: server.auth.viewer_token: has a space, control or non-ASCII character"},
		{`{viewer_token: "VIEW\x01SEC"}`, "a.yaml:1:45: server.auth.viewer_token: has a space, control or non-ASCII character"},
		{`{admin_token: "ADMSEC9é"}`, "a.yaml:1:44: server.auth.admin_token: has a space, control or non-ASCII character"},
		{`{viewer_token: ADMSEC9, admin_token: ADMSEC9}`, "a.yaml:1:45: server.auth.viewer_token: is the same as admin_token: a viewer could then use the admin routes"},
	}
	for _, tc := range cases {
		_, err := Parse("a.yaml", []byte("server: {listen: ':0', auth: "+tc.auth+"}\nsources: []\n"))
		require.ErrorIs(t, err, ErrInvalid, tc.auth)
		require.Len(t, Errors(err), 1, tc.auth)
		require.Contains(t, err.Error(), tc.want, tc.auth)
		require.NotContains(t, err.Error(), "SEC", tc.auth)
	}
	_, err := Parse("a.yaml", []byte("server: {auth: {viewer_token: V-1._~+/=, admin_token: 'A!#$%&*?@^|'}}\nsources: []\n"))
	require.NoError(t, err, "every visible ASCII character is allowed")
}

// MaskSecrets masks the secrets of 8 bytes or more in data, leaves URLs
// and shorter secrets alone, and says whether it masked.
func TestMaskSecretsInData(t *testing.T) {
	r := NewRedactor([]string{"BEARERSECRETxyz", "true", "s3cret12"})
	for _, c := range []struct {
		in, want string
		masked   bool
	}{
		{"/echo?token=BEARERSECRETxyz", "/echo?token=xxxxx", true},
		{"a s3cret12 b", "a xxxxx b", true},
		{"true", "true", false},
		{"http://user:pw@host/?a=1", "http://user:pw@host/?a=1", false},
	} {
		got, masked := r.MaskSecrets(c.in)
		require.Equal(t, c.want, got, c.in)
		require.Equal(t, c.masked, masked, c.in)
	}
	got, masked := (*Redactor)(nil).MaskSecrets("BEARERSECRETxyz")
	require.Equal(t, "BEARERSECRETxyz", got)
	require.False(t, masked)
	got, masked = NewRedactor([]string{"short"}).MaskSecrets("short")
	require.Equal(t, "short", got)
	require.False(t, masked)
}

package collectors

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/configs"
)

// cutSecret is a query value long enough that a 40-byte excerpt can end
// anywhere inside it.
const cutSecret = "SECRETK45JQ7ZP2W"

// requireNoSecretPrefix fails if text holds the first three bytes or more
// of secret.
func requireNoSecretPrefix(t *testing.T, text, secret string) {
	t.Helper()
	for k := 3; k <= len(secret); k++ {
		require.NotContains(t, text, secret[:k], "a %d-byte prefix of the secret", k)
	}
}

// valueTarget serves {"a": value}, value being what value returns for the
// request.
func valueTarget(t *testing.T, value func(r *http.Request) string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"a": value(r)})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestJSONExcerptNeverCutsASecret: the json source quotes 40 bytes of a
// value that is not a number; a secret of the source standing across the
// cut is masked whole, wherever the cut falls in it.
func TestJSONExcerptNeverCutsASecret(t *testing.T) {
	for pad := 20; pad <= 45; pad++ {
		srv := valueTarget(t, func(r *http.Request) string {
			return strings.Repeat("A", pad) + r.URL.Query().Get("token")
		})
		src, err := NewSource(urlSource(configs.TypeJSON, srv.URL+"/?token="+cutSecret), testEnv(nil))
		require.NoError(t, err)
		_, err = src.Poll(t.Context())
		require.ErrorContains(t, err, "not numeric")
		requireNoSecretPrefix(t, err.Error(), cutSecret)
		closeSource(src, Env{}.logger(), nil)
	}
}

// TestURLUserInfoIsMaskedInItsBasicForm: Go sends a URL's user info as
// "Authorization: Basic <base64 of user:password>"; a target that echoes
// it is masked as the same header given under headers: is.
func TestURLUserInfoIsMaskedInItsBasicForm(t *testing.T) {
	srv := valueTarget(t, func(r *http.Request) string { return r.Header.Get("Authorization") })
	cfg := urlSource(configs.TypeJSON, strings.Replace(srv.URL, "http://", "http://u:pw12345@", 1))
	src, err := NewSource(cfg, testEnv(nil))
	require.NoError(t, err)
	defer closeSource(src, Env{}.logger(), nil)
	_, err = src.Poll(t.Context())
	require.ErrorContains(t, err, `"Basic xxxxx"`)
}

// TestClipHelpersMaskBeforeTheyCut: the Prometheus excerpts (a quoted name
// or value, a parser's error) never leave part of a secret at their cut.
func TestClipHelpersMaskBeforeTheyCut(t *testing.T) {
	r := configs.NewRedactor([]string{cutSecret})
	for pad := clipLen - len(cutSecret); pad <= clipLen+2; pad++ {
		text := clipBytes(r, strings.Repeat("v", pad)+cutSecret+"tail")
		requireNoSecretPrefix(t, text, cutSecret)
	}
	for pad := clipErrLen - len(cutSecret); pad <= clipErrLen+2; pad++ {
		err := clipError(r, errors.New(strings.Repeat("e", pad)+cutSecret+strings.Repeat("t", 300)))
		requireNoSecretPrefix(t, err.Error(), cutSecret)
	}
}

// TestShownTextIsCapped: a 3 MB target line does not become a 3 MB
// last_error: the collector keeps 1 KiB of it, cut at a character
// boundary after masking, and says how long it was.
func TestShownTextIsCapped(t *testing.T) {
	r := configs.NewRedactor([]string{cutSecret})
	long := strings.Repeat("é", 3<<20/2)
	got := shownText(r, long)
	require.True(t, utf8.ValidString(got))
	require.Equal(t, strings.Repeat("é", maxShownText/2)+"…(3145728 bytes)", got)

	// Masking comes first, so the length noted is the masked text's and a
	// secret at the cut is masked whole.
	for pad := maxShownText - len(cutSecret); pad <= maxShownText; pad++ {
		got := shownText(r, strings.Repeat("a", pad)+cutSecret+strings.Repeat("b", 2000))
		requireNoSecretPrefix(t, got, cutSecret)
	}
	require.Equal(t, "short xxxxx", shownText(r, "short "+cutSecret))
}

// TestLastErrorAndWarningAreCapped: through the collector's bookkeeping, a
// huge error and a huge warning are both kept to maxShownText bytes plus
// the length note.
func TestLastErrorAndWarningAreCapped(t *testing.T) {
	huge := strings.Repeat("x", 3<<20)
	c := newTestCollector(urlSource(configs.TypeJSON, "http://127.0.0.1:1/"), nil, nil)
	c.stats.fail(fixedNow, 0, c.errText(errors.New(huge)))
	c.succeed(fixedNow, 0, Partial{Errors: []error{errors.New(huge)}}, 0, 0)
	s := c.stats.snapshot()
	require.Equal(t, huge[:maxShownText]+"…(3145728 bytes)", s.LastError)
	require.Equal(t, huge[:maxShownText]+"…(3145728 bytes)", s.LastWarning)
}

// TestContentEncodingExcerptNeverCutsASecret: an unsupported coding is
// quoted as sent (not lower-cased, which would hide a secret from the
// mask), masked before its 40-byte cut.
func TestContentEncodingExcerptNeverCutsASecret(t *testing.T) {
	for pad := 25; pad <= 40; pad++ {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", strings.Repeat("z", pad)+r.URL.Query().Get("token"))
			_, _ = w.Write([]byte(`{"a":1}`))
		}))
		src, err := NewSource(urlSource(configs.TypeJSON, srv.URL+"/?token="+cutSecret), testEnv(nil))
		require.NoError(t, err)
		_, err = src.Poll(t.Context())
		require.ErrorIs(t, err, ErrEncoding)
		// In either case: a coding is matched in lower case.
		requireNoSecretPrefix(t, strings.ToLower(err.Error()), strings.ToLower(cutSecret))
		closeSource(src, Env{}.logger(), nil)
		srv.Close()
	}
}

package collectors

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/configs"
)

// headerLog serves "x 1" (a valid exposition and a valid JSON number) and
// keeps the headers of every request it gets, by path.
type headerLog struct {
	mu   sync.Mutex
	seen map[string]http.Header
}

func (h *headerLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.seen[r.URL.Path] = r.Header.Clone()
	h.mu.Unlock()
	_, _ = w.Write([]byte(`{"a": 1}`))
}

func (h *headerLog) get(path string) http.Header {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seen[path]
}

// TestRedirectsCarryNoSecrets follows redirects from a target that holds
// the configured credentials: to its own origin they keep the configured
// headers; to another host (by name or by port) only pulseboard's own
// headers go; and no hop is sent a Referer, which would name the
// configured URL, token and all. The same for every type that fetches.
func TestRedirectsCarryNoSecrets(t *testing.T) {
	other := &headerLog{seen: map[string]http.Header{}}
	otherSrv := httptest.NewServer(other)
	defer otherSrv.Close()
	home := &headerLog{seen: map[string]http.Header{}}
	mux := http.NewServeMux()
	mux.Handle("/landing", home)
	mux.HandleFunc("/same", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/landing", http.StatusFound)
	})
	mux.HandleFunc("/by-port", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherSrv.URL+"/by-port", http.StatusFound)
	})
	mux.HandleFunc("/by-name", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(otherSrv.URL, "127.0.0.1", "localhost", 1)+"/by-name", http.StatusFound)
	})
	homeSrv := httptest.NewServer(mux)
	defer homeSrv.Close()

	for _, typ := range []string{configs.TypeHTTP, configs.TypePrometheus, configs.TypeJSON} {
		t.Run(typ, func(t *testing.T) {
			for _, path := range []string{"/same", "/by-port", "/by-name"} {
				cfg := urlSource(typ, homeSrv.URL+path+"?token=t0k")
				client(cfg).Headers = map[string]string{
					"X-Api-Key": "k3y", "Authorization": "Bearer b34rer", "Cookie": "s=c00kie",
					"Accept-Encoding": "gzip",
				}
				_, _ = pollWith(t, cfg, testEnv(nil), 5*time.Second) // the answer is beside the point

				var got http.Header
				if path == "/same" {
					got = home.get("/landing")
				} else {
					got = other.get(path)
				}
				require.NotNil(t, got, "%s: the redirect was followed", path)
				require.Empty(t, got.Get("Referer"), "%s: no Referer, ever", path)
				require.NotEmpty(t, got.Get("User-Agent"), path)
				require.Equal(t, "gzip", got.Get("Accept-Encoding"), path)
				if path == "/same" {
					require.Equal(t, "k3y", got.Get("X-Api-Key"), "the configured origin keeps its headers")
					require.Equal(t, "Bearer b34rer", got.Get("Authorization"))
					continue
				}
				for _, name := range []string{"X-Api-Key", "Authorization", "Cookie"} {
					require.Empty(t, got.Get(name), "%s: %s went to another host", path, name)
				}
			}
		})
	}
}

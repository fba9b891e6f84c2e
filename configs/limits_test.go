package configs

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/cmd/testtool"
)

// mustParse parses src, which must be within the limits.
func mustParse(t *testing.T, src string) ast.Node {
	t.Helper()
	body, err := parseYAML("t.yaml", []byte(src))
	require.Nil(t, err)
	return body
}

// Per input, whatever it holds: the bounds FuzzParse holds Parse to. The
// allocation bound is the sharp one (the alias bomb took 1.2 GB); the time
// bound leaves room for a loaded machine and the race detector (the bomb
// took 12-18 s).
const (
	maxParseTime  = 2 * time.Second * slowdown
	maxParseBytes = 64 << 20 // allocated, in all
)

// cost runs Parse on data and returns the CPU time it took (its
// thread's: a loaded machine's scheduling is not the parser's), how many
// bytes it allocated, and its error.
func cost(data []byte) (time.Duration, uint64, error) {
	var err error
	c := testtool.CostOf(func() { _, err = Parse("h.yaml", data) })
	return c.CPU, c.Bytes, err
}

func TestHostileInputsAreRefusedCheaply(t *testing.T) {
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			took, allocated, err := cost([]byte(c.data))
			t.Logf("%d bytes: %v, %d KiB allocated", len(c.data), took.Round(time.Millisecond), allocated>>10)
			require.ErrorIs(t, err, ErrInvalid)
			errs := Errors(err)
			require.Len(t, errs, 1, "%.300v", err)
			require.Equal(t, [2]int{c.line, c.col}, [2]int{errs[0].Line, errs[0].Col}, "%.300v", err)
			require.Contains(t, errs[0].Msg, c.msg)
			require.LessOrEqual(t, len(errs[0].Error()), maxMsgBytes+200, "a long value is not echoed whole")
			require.Less(t, took, maxParseTime)
			require.Less(t, allocated, uint64(maxParseBytes))
		})
	}
}

// Load reads only regular files: a named pipe would block the open until
// a writer came (and with it the reloader), and a device such as
// /dev/zero never ends.
func TestLoadRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "config.yaml")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	done := make(chan error, 1)
	go func() { _, err := Load(fifo); done <- err }()
	select {
	case err := <-done:
		require.ErrorIs(t, err, ErrInvalid)
		require.Equal(t, fifo+":1:1: a named pipe, not a regular file: the config must be a file", err.Error())
	case <-time.After(10 * time.Second):
		t.Fatal("Load blocked on a named pipe")
	}
	_, err := Load(dir)
	require.Equal(t, dir+":1:1: a directory, not a regular file: the config must be a file", err.Error())
	if _, err := os.Stat("/dev/zero"); err == nil {
		_, err = Load("/dev/zero")
		require.Equal(t, "/dev/zero:1:1: a device, not a regular file: the config must be a file", err.Error())
	}
	// A symbolic link to a file is a file.
	real := filepath.Join(dir, "real.yaml")
	require.NoError(t, os.WriteFile(real, []byte("sources: []\n"), 0o644))
	link := filepath.Join(dir, "link.yaml")
	require.NoError(t, os.Symlink(real, link))
	_, err = Load(link)
	require.NoError(t, err)
}

// Load reads no more than the limit.
func TestLoadStopsReadingAtTheLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	var err error
	big := strings.Repeat("# padding\n", MaxFileBytes/10) + "sources: []\n"
	require.NoError(t, os.WriteFile(path, []byte(big), 0o644))
	_, err = Load(path)
	require.Equal(t, path+":104858:7: file larger than 1048576 bytes", err.Error())

	// At the limit exactly, the file loads.
	atLimit := "#" + strings.Repeat("x", MaxFileBytes-len("#\nsources: []\n")) + "\nsources: []\n"
	require.Len(t, atLimit, MaxFileBytes)
	require.NoError(t, os.WriteFile(path, []byte(atLimit), 0o644))
	_, err = Load(path)
	require.NoError(t, err)
}

// Just under each limit, a file is accepted: the limits refuse only what
// passes them.
func TestJustUnderTheLimits(t *testing.T) {
	labels := lines(MaxKeysPerMapping, func(i int) string { return "      k" + strings.Repeat("x", i%10) + strconv.Itoa(i) + ": v" })
	src := "sources:\n  - name: a\n    type: host\n    labels:\n" + labels
	_, err := Parse("ok.yaml", []byte(src))
	require.NoError(t, err, "%d keys in one mapping", MaxKeysPerMapping)

	// 63 lists inside the key: 64 levels.
	_, err = Parse("ok.yaml", []byte("broadcast: {x: "+nested("[", "", "]", MaxDepth-2)+"}\n"))
	require.ErrorContains(t, err, `unknown key "x"`, "refused by the decoder, not the depth limit")

	// Aliases that add exactly MaxAliasNodes nodes: 1,000 aliases of a
	// 10-node list.
	src = "a: &a [1,2,3,4,5,6,7,8,9]\nb: [" + strings.TrimSuffix(strings.Repeat("*a,", MaxAliasNodes/10), ",") + "]\n"
	_, err = Parse("ok.yaml", []byte(src))
	// Both keys are unknown, and both are reported.
	require.ErrorContains(t, err, `unknown key "a"`, "refused by the decoder, not the alias limit")
	require.ErrorContains(t, err, `unknown key "b"`)
	require.NotContains(t, err.Error(), "alias", "refused by the decoder, not the alias limit")
	// The aliases are expanded before decoding: at the limit, cheaply.
	took, allocated, _ := cost([]byte(src))
	t.Logf("%d alias nodes expanded: %v, %d KiB allocated", MaxAliasNodes, took, allocated>>10)
	require.Less(t, took, maxParseTime)
	require.Less(t, allocated, uint64(maxParseBytes))

	_, err = Parse("ok.yaml", []byte(strings.Repeat("k", MaxKeyBytes)+": 1\n"))
	require.ErrorContains(t, err, "unknown key", "a key of %d bytes", MaxKeyBytes)
}

// The token estimate is never below what the tokenizer makes, on every
// input here and in FuzzParse.
func TestTokenEstimateIsAnUpperBound(t *testing.T) {
	inputs := [][]byte{[]byte("a: |\n"), []byte("- |\n- >\n"), []byte(`{"a":[1,2]}`), []byte("? a\n: b\n")}
	for _, c := range hostileCases() {
		if len(c.data) <= MaxFileBytes {
			inputs = append(inputs, []byte(c.data))
		}
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	require.NoError(t, err)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		inputs = append(inputs, data)
	}
	for _, in := range inputs {
		requireEstimateAbove(t, in)
	}
}

func requireEstimateAbove(t *testing.T, data []byte) {
	t.Helper()
	data = normalizeText(data)
	est, _ := estimateTokens(data, MaxTokens)
	if est > MaxTokens {
		return // refused before tokenizing
	}
	require.GreaterOrEqual(t, est, len(lexer.Tokenize(string(data))), "%.200q", data)
}

func TestNormalizeText(t *testing.T) {
	for in, want := range map[string]string{
		"a\r\nb\r\n":         "a\nb\n",
		"a\rb\r":             "a\nb\n",
		"a\r\r\nb":           "a\n\nb",
		"\xEF\xBB\xBFa: 1\n": "a: 1\n",
		"a: 1\n":             "a: 1\n",
		"":                   "",
	} {
		require.Equal(t, want, string(normalizeText([]byte(in))), "%q", in)
	}
	for in, want := range map[string]pos{
		"ab\r\ncd":          {2, 2},
		"ab\rcd":            {2, 2},
		"\xEF\xBB\xBFab\nc": {2, 1},
		"é\nàb":             {2, 2},
	} {
		require.Equal(t, want, offsetPos([]byte(in), len(in)-1), "%q", in)
	}
}

func TestShorten(t *testing.T) {
	require.Equal(t, "short", shorten("short"))
	long := `"` + strings.Repeat("é", 1000) + `" has no port: want host:port`
	got := shorten(long)
	require.LessOrEqual(t, len(got), maxMsgBytes+40)
	require.True(t, strings.HasPrefix(got, `"éé`))
	require.True(t, strings.HasSuffix(got, "has no port: want host:port"))
	require.Contains(t, got, "bytes cut")
	require.True(t, utf8.ValidString(got))
}

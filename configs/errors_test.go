package configs

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestErrorText(t *testing.T) {
	cases := []struct {
		err  Error
		want string
	}{
		{Error{File: "a.yaml", Line: 3, Col: 7, Path: "sources[0].url", Msg: "is required"}, "a.yaml:3:7: sources[0].url: is required"},
		{Error{File: "a.yaml", Line: 1, Col: 1, Msg: "bad syntax"}, "a.yaml:1:1: bad syntax"},
		{Error{Path: "server.listen", Msg: "has no port"}, "server.listen: has no port"},
		{Error{File: "a.yaml", Msg: "odd"}, "a.yaml: odd"},
		{Error{Msg: "bare"}, "bare"},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, tc.err.Error())
	}
}

func TestErrorsFlattensWrappedAndJoined(t *testing.T) {
	a := &Error{Path: "a", Msg: "x"}
	b := &Error{Path: "b", Msg: "y"}
	c := &Error{Path: "c", Msg: "z"}
	err := fmt.Errorf("reload: %w", errors.Join(a, errors.Join(b, errors.New("other")), fmt.Errorf("w: %w", c)))
	require.Equal(t, []*Error{a, b, c}, Errors(err))
	require.ErrorIs(t, err, ErrInvalid)
	require.Nil(t, Errors(nil))
	require.Nil(t, Errors(errors.New("plain")))
	require.False(t, errors.Is(errors.New("plain"), ErrInvalid))
}

// Nesting copies: a nested Validate's errors are not changed in place.
func TestProblemsNestCopies(t *testing.T) {
	inner := &Error{Path: "url", Msg: "is required"}
	var p problems
	p.nest("sources[2]", inner)
	require.Equal(t, "url", inner.Path)
	require.Equal(t, "sources[2].url", Errors(p.err())[0].Path)
	var empty problems
	require.NoError(t, empty.err())
}

func TestPathHelpers(t *testing.T) {
	require.Equal(t, "a", joinPath("", "a"))
	require.Equal(t, "a", joinPath("a", ""))
	require.Equal(t, "a.b", joinPath("a", "b"))
	require.Equal(t, "a[1]", joinPath("a", "[1]"))
	require.Equal(t, "sources[1]", parentPath("sources[1].url"))
	require.Equal(t, "sources", parentPath("sources[1]"))
	require.Equal(t, "", parentPath("sources"))
	require.Equal(t, []string{"sources", "[1]", "series", "[0]", "labels", "k"}, splitPath("sources[1].series[0].labels.k"))
}

func TestEditDistanceAndSuggestion(t *testing.T) {
	require.Equal(t, 0, editDistance("abc", "abc"))
	require.Equal(t, 1, editDistance("interval", "intervall"))
	require.Equal(t, 2, editDistance("ab", "ba"))
	require.Equal(t, 3, editDistance("", "abc"))
	require.Equal(t, "timeout", closest("timout", []string{"interval", "timeout"}))
	require.Equal(t, "", closest("colour", []string{"history", "windows"}))
}

func TestDescribeType(t *testing.T) {
	cases := map[string]any{
		"true or false": true,
		"an integer":    uint8(1),
		"a number":      1.5,
		"a string":      "s",
		"a list":        []int{},
		"a mapping":     map[string]int{},
		"complex128":    complex(1, 2),
	}
	for want, v := range cases {
		require.Equal(t, want, describeType(reflect.TypeOf(v)))
	}
	require.Equal(t, "a mapping", describeType(reflect.TypeFor[*Faults]()))
	require.Equal(t, "nothing", describeType(nil))
}

// go-yaml gives some errors no position; they point at the document's
// start rather than at nowhere.
func TestYAMLErrorWithoutPosition(t *testing.T) {
	e := yamlError("f.yaml", nil, errors.New("first\nsecond"))
	require.Equal(t, "f.yaml:1:1: first", e.Error())
	require.ErrorIs(t, e, ErrInvalid)

	doc := indexNode(mustParse(t, "\n\nserver:\n  listen: x\n"))
	e = yamlError("f.yaml", doc, errors.New("cannot find anchor by alias name x"))
	require.Equal(t, "f.yaml:3:1: cannot find anchor by alias name x", e.Error())
}

func TestTypeAt(t *testing.T) {
	require.Equal(t, reflect.TypeFor[Faults](), typeAt(typeOfConfig(), "sources[3].faults"))
	require.Equal(t, reflect.TypeFor[string](), typeAt(typeOfConfig(), "sources[0].labels.x"))
	require.Nil(t, typeAt(typeOfConfig(), "sources[0].nope"))
	require.Nil(t, typeAt(typeOfConfig(), "server.listen.deeper"))
	require.Nil(t, typeAt(typeOfConfig(), "server[0]"))
	require.Empty(t, keysOf(nil))
	require.Equal(t, `unknown key "x"`, unknownKeyMessage("x", "sources[0].labels"), "a mapping of free keys has no list")
}

package configs

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSourceByName(t *testing.T) {
	c := validConfig()
	s, ok := c.SourceByName("site")
	require.True(t, ok)
	require.Equal(t, TypeHTTP, s.Type)
	_, ok = c.SourceByName("absent")
	require.False(t, ok)
}

// fullSource sets every field of Source (and of its series and faults), so
// that the test below sees a field that Equal forgets.
func fullSource() Source {
	seed := int64(3)
	follow := true
	return Source{
		Name: "s", Type: TypeHTTP, Interval: 1, Timeout: 1,
		Labels: map[string]string{"a": "b"},
		Seed:   &seed,
		Series: []SimSeries{{
			Metric: "m", Shape: "sine", Labels: map[string]string{"c": "d"},
			Min: 1, Max: 2, Period: 3, Noise: 4, Rate: 5, Count: 6,
		}},
		Faults:       &Faults{ErrorRate: 0.1, PanicRate: 0.2, HangRate: 0.3, Latency: 4},
		URL:          "http://x/",
		Headers:      map[string]string{"H": "v"},
		MaxBodyBytes: 7,
		Method:       "GET", ExpectStatus: []int{200}, FollowRedirects: &follow,
		Include: []string{"i"}, Exclude: []string{"e"}, MaxSeries: 8,
		Fields: map[string]string{"f": "p"},
	}
}

// clone deep-copies a Source, so that changing the copy leaves the original
// as it was.
func clone(s Source) Source {
	c := s
	c.Labels = copyMap(s.Labels)
	c.Headers = copyMap(s.Headers)
	c.Fields = copyMap(s.Fields)
	if s.Seed != nil {
		v := *s.Seed
		c.Seed = &v
	}
	if s.Faults != nil {
		v := *s.Faults
		c.Faults = &v
	}
	if s.FollowRedirects != nil {
		v := *s.FollowRedirects
		c.FollowRedirects = &v
	}
	c.Series = append([]SimSeries(nil), s.Series...)
	for i := range c.Series {
		c.Series[i].Labels = copyMap(s.Series[i].Labels)
	}
	c.ExpectStatus = append([]int(nil), s.ExpectStatus...)
	c.Include = append([]string(nil), s.Include...)
	c.Exclude = append([]string(nil), s.Exclude...)
	return c
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestSourceEqual(t *testing.T) {
	a := fullSource()
	require.True(t, a.Equal(clone(a)), "a deep copy is equal")
	require.True(t, Source{}.Equal(Source{Labels: map[string]string{}, Include: []string{}}), "empty equals absent")
	require.True(t, a.Equal(a))
}

// Changing any single field, at any depth, makes the sources differ. The
// fields are found by reflection, so a field added later is covered too.
func TestSourceEqualSeesEveryField(t *testing.T) {
	base := fullSource()
	rt := reflect.TypeFor[Source]()
	for i := range rt.NumField() {
		name := rt.Field(i).Name
		switch name {
		case "Series":
			st := reflect.TypeFor[SimSeries]()
			for j := range st.NumField() {
				b := clone(base)
				mutate(t, reflect.ValueOf(&b.Series[0]).Elem().Field(j))
				require.False(t, base.Equal(b), "Series[0].%s changed but Equal says equal", st.Field(j).Name)
			}
			b := clone(base)
			b.Series = append(b.Series, b.Series[0])
			require.False(t, base.Equal(b), "an added series")
		case "Faults":
			ft := reflect.TypeFor[Faults]()
			for j := range ft.NumField() {
				b := clone(base)
				mutate(t, reflect.ValueOf(b.Faults).Elem().Field(j))
				require.False(t, base.Equal(b), "Faults.%s changed but Equal says equal", ft.Field(j).Name)
			}
			b := clone(base)
			b.Faults = nil
			require.False(t, base.Equal(b), "faults removed")
		default:
			b := clone(base)
			mutate(t, reflect.ValueOf(&b).Elem().Field(i))
			require.False(t, base.Equal(b), "%s changed but Equal says equal", name)
		}
	}
}

// mutate changes a field's value to a different one of the same type.
func mutate(t *testing.T, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Float64:
		v.SetFloat(v.Float() + 1)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Map:
		v.SetMapIndex(reflect.ValueOf("added"), reflect.ValueOf("v"))
	case reflect.Slice:
		v.Set(reflect.Append(v, v.Index(0)))
	case reflect.Pointer:
		mutate(t, v.Elem())
	default:
		t.Fatalf("mutate: unhandled kind %s", v.Kind())
	}
}

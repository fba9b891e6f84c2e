package configs

import (
	"fmt"
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

// filledSource is a source of type st with every key, at every depth, set
// to a value other than its zero, so that the tests below see a key that
// Equal forgets. The keys are found by reflection: a key added to a spec
// later is covered too.
func filledSource(st SourceType) Source {
	spec := st.New()
	fill(reflect.ValueOf(spec).Elem())
	return Source{Name: "s", Type: st.Name, Interval: 1, Timeout: 1, Labels: map[string]string{"a": "b"}, Spec: spec}
}

func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Int, reflect.Int64:
		v.SetInt(3)
	case reflect.Float64:
		v.SetFloat(0.25)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i))
		}
	case reflect.Slice:
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e)
		v.Set(reflect.Append(reflect.MakeSlice(v.Type(), 0, 1), e))
	case reflect.Map:
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		v.Set(reflect.MakeMap(v.Type()))
		v.SetMapIndex(k, e)
	default:
		panic("fill: unhandled kind " + v.Kind().String())
	}
}

// deepCopy copies a value, sharing nothing with it.
func deepCopy(v reflect.Value) reflect.Value {
	out := reflect.New(v.Type()).Elem()
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			out.Set(reflect.New(v.Type().Elem()))
			out.Elem().Set(deepCopy(v.Elem()))
		}
	case reflect.Interface:
		if !v.IsNil() {
			out.Set(deepCopy(v.Elem()))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			out.Field(i).Set(deepCopy(v.Field(i)))
		}
	case reflect.Slice:
		if !v.IsNil() {
			out.Set(reflect.MakeSlice(v.Type(), v.Len(), v.Len()))
			for i := range v.Len() {
				out.Index(i).Set(deepCopy(v.Index(i)))
			}
		}
	case reflect.Map:
		if !v.IsNil() {
			out.Set(reflect.MakeMap(v.Type()))
			for it := v.MapRange(); it.Next(); {
				out.SetMapIndex(it.Key(), deepCopy(it.Value()))
			}
		}
	default:
		out.Set(v)
	}
	return out
}

func cloneSource(s Source) Source { return deepCopy(reflect.ValueOf(s)).Interface().(Source) }

// mutation is one change to one key of a source, at any depth.
type mutation struct {
	path   string
	change func()
}

// mutations lists every single change that must make v differ: each scalar
// changed, each pointer set to nil, each list grown, each mapping given an
// entry more or a value changed.
func mutations(path string, v reflect.Value) []mutation {
	var out []mutation
	switch v.Kind() {
	case reflect.String:
		out = append(out, mutation{path, func() { v.SetString(v.String() + "x") }})
	case reflect.Int, reflect.Int64:
		out = append(out, mutation{path, func() { v.SetInt(v.Int() + 1) }})
	case reflect.Float64:
		out = append(out, mutation{path, func() { v.SetFloat(v.Float() + 1) }})
	case reflect.Bool:
		out = append(out, mutation{path, func() { v.SetBool(!v.Bool()) }})
	case reflect.Pointer:
		if v.CanSet() { // not the spec pointer itself, held in an interface
			out = append(out, mutation{path + "=nil", func() { v.Set(reflect.Zero(v.Type())) }})
		}
		out = append(out, mutations(path, v.Elem())...)
	case reflect.Interface:
		out = append(out, mutations(path, v.Elem())...)
	case reflect.Struct:
		for i := range v.NumField() {
			out = append(out, mutations(path+"."+v.Type().Field(i).Name, v.Field(i))...)
		}
	case reflect.Slice:
		out = append(out, mutation{path + "+1", func() { v.Set(reflect.Append(v, v.Index(0))) }})
		for i := range v.Len() {
			out = append(out, mutations(fmt.Sprintf("%s[%d]", path, i), v.Index(i))...)
		}
	case reflect.Map:
		out = append(out, mutation{path + "+1", func() {
			k := reflect.New(v.Type().Key()).Elem()
			k.SetString("added")
			v.SetMapIndex(k, reflect.New(v.Type().Elem()).Elem())
		}})
		for _, k := range v.MapKeys() {
			out = append(out, mutation{fmt.Sprintf("%s[%v]", path, k), func() {
				e := deepCopy(v.MapIndex(k))
				e.SetString(e.String() + "x")
				v.SetMapIndex(k, e)
			}})
		}
	default:
		panic("mutations: unhandled kind " + v.Kind().String())
	}
	return out
}

func TestSourceEqual(t *testing.T) {
	for _, st := range registeredTypes() {
		a := filledSource(st)
		require.True(t, a.Equal(cloneSource(a)), "%s: a deep copy is equal", st.Name)
		require.True(t, a.Equal(a))
	}
	require.True(t, Source{}.Equal(Source{Labels: map[string]string{}}), "empty equals absent")
	require.True(t, Source{Spec: &PrometheusSpec{}}.Equal(Source{Spec: &PrometheusSpec{Include: []string{}, HTTPClient: HTTPClient{Headers: map[string]string{}}}}),
		"empty equals absent, in a spec too")
	require.False(t, Source{Spec: NewHostSpec()}.Equal(Source{}), "a spec against none")
	require.False(t, Source{Spec: &JSONSpec{}}.Equal(Source{Spec: &PrometheusSpec{}}), "specs of two types")
}

// Changing any single key, at any depth, of a source of any type makes
// the sources differ.
func TestSourceEqualSeesEveryKey(t *testing.T) {
	for _, st := range registeredTypes() {
		base := filledSource(st)
		n := len(mutations("", reflect.ValueOf(&base).Elem()))
		require.Greater(t, n, 5, st.Name)
		for i := range n {
			b := cloneSource(base)
			m := mutations("", reflect.ValueOf(&b).Elem())[i]
			m.change()
			require.False(t, base.Equal(b), "%s: %s changed but Equal says equal", st.Name, m.path)
			require.False(t, b.Equal(base), "%s: %s changed but Equal says equal", st.Name, m.path)
		}
	}
}

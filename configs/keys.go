package configs

import (
	"reflect"
	"strconv"
	"strings"
)

// keys answers "was this key given?" for one struct of the config. Defaults
// fill only keys that were not given, and a key the source's type does not
// use is an error only when given, so that "interval: 0s" is reported rather
// than silently replaced by the default.
//
// Parse answers from the YAML document (docKeys); Validate and ApplyDefaults,
// called on a Config built in code, take a non-zero value as given (valueKeys).
type keys interface {
	// has reports whether key (a yaml tag of this struct) is given.
	has(key string) bool
	// sub descends into a nested struct, e.g. sub("series[2]").
	sub(key string) keys
}

// docKeys reads presence from the parsed document.
type docKeys struct {
	doc    positions
	prefix string
}

func (k docKeys) has(key string) bool { return k.doc.present(joinPath(k.prefix, key)) }
func (k docKeys) sub(key string) keys {
	return docKeys{doc: k.doc, prefix: joinPath(k.prefix, key)}
}

// valueKeys reads presence from the values: a non-zero field counts as given.
type valueKeys struct{ v reflect.Value }

func valuesOf(ptr any) keys { return valueKeys{reflect.ValueOf(ptr).Elem()} }

func (k valueKeys) has(key string) bool {
	f, ok := k.field(key)
	return ok && !f.IsZero()
}

func (k valueKeys) sub(key string) keys {
	name, i := key, -1
	if open := strings.IndexByte(key, '['); open >= 0 && strings.HasSuffix(key, "]") {
		n, err := strconv.Atoi(key[open+1 : len(key)-1])
		if err == nil {
			name, i = key[:open], n
		}
	}
	f, ok := k.field(name)
	if !ok {
		return valueKeys{}
	}
	if i >= 0 {
		if f.Kind() != reflect.Slice || i >= f.Len() {
			return valueKeys{}
		}
		f = f.Index(i)
	}
	for f.Kind() == reflect.Pointer {
		if f.IsNil() {
			return valueKeys{}
		}
		f = f.Elem()
	}
	return valueKeys{f}
}

func (k valueKeys) field(key string) (reflect.Value, bool) {
	if !k.v.IsValid() {
		return reflect.Value{}, false
	}
	return fieldOf(k.v, key)
}

// fieldOf finds the field of struct value v whose yaml key is key, looking
// into inline structs and into a source's Spec, whose keys are written
// beside the source's own.
func fieldOf(v reflect.Value, key string) (reflect.Value, bool) {
	if v.Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		switch {
		case f.Type == sourceSpecType:
			if spec := v.Field(i); !spec.IsNil() && spec.Elem().Kind() == reflect.Pointer && !spec.Elem().IsNil() {
				if found, ok := fieldOf(spec.Elem().Elem(), key); ok {
					return found, true
				}
			}
		case isInline(f):
			if found, ok := fieldOf(v.Field(i), key); ok {
				return found, true
			}
		case yamlName(f) == key:
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

var sourceSpecType = reflect.TypeFor[SourceSpec]()

// yamlName is a struct field's key in YAML.
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

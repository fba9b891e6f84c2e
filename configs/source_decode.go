package configs

import (
	"reflect"
	"strconv"
)

// plainSource is Source without its UnmarshalYAML, for decoding the common
// keys.
type plainSource Source

// UnmarshalYAML decodes one source from its flat mapping: the common keys
// into the Source, the keys of its type into a new spec of that type (see
// RegisterSourceType), and the keys that only other types use into a
// scratch value, so that Validate can report them as unused where they
// are written rather than decoding stop at the first.
//
// go-yaml calls it with its own decoder, so strictness (an unknown key is
// an error, with its position), anchors, aliases and merge keys work as
// for any other struct. The mapping is decoded twice: once loosely, to
// learn the type, then into a struct made for that type.
func (s *Source) UnmarshalYAML(unmarshal func(any) error) error {
	var peek map[string]any
	if err := unmarshal(&peek); err != nil {
		return err
	}
	typ, _ := peek["type"].(string)
	st, known := lookupSourceType(typ)

	fields := []reflect.StructField{{Name: "Common", Type: reflect.TypeFor[plainSource](), Tag: `yaml:",inline"`}}
	if known {
		fields = append(fields, reflect.StructField{Name: "Spec", Type: specType(st), Tag: `yaml:",inline"`})
	}
	if foreign := foreignFields(typ); len(foreign) > 0 {
		fields = append(fields, reflect.StructField{Name: "Foreign", Type: scratchType(foreign), Tag: `yaml:",inline"`})
	}
	target := reflect.New(reflect.StructOf(fields))
	if err := unmarshal(target.Interface()); err != nil {
		return err
	}
	v := target.Elem()
	*s = Source(v.Field(0).Interface().(plainSource))
	if known {
		spec := reflect.New(v.Field(1).Type())
		spec.Elem().Set(v.Field(1))
		s.Spec = spec.Interface().(SourceSpec)
	}
	return nil
}

// scratchType is a struct with one field per key, for decoding keys whose
// values are not kept.
func scratchType(keys []specField) reflect.Type {
	fields := make([]reflect.StructField, len(keys))
	for i, f := range keys {
		fields[i] = reflect.StructField{
			Name: "K" + strconv.Itoa(i),
			Type: f.typ,
			Tag:  reflect.StructTag(`yaml:"` + f.key + `"`),
		}
	}
	return reflect.StructOf(fields)
}

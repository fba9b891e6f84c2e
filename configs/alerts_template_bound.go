package configs

import (
	"reflect"
	"unicode/utf8"
)

// The work of an annotation's functions, bounded before it is done.
//
// Charging what a function returned (AlertTemplate.charge) bounds what an
// execution keeps, not what a single call builds on its way: fmt caps a
// width or a precision at a million per verb, not per call, and an
// argument index reuses one argument, so one printf of 360 verbs
// "%999999[1]d" built 360 MB before its result could be charged (trial 14
// round 9, F1); a width applies to each element of a map, so "%999999v"
// of $labels builds a megabyte a label. So every function is first given
// an upper bound of what it may build, from its arguments' sizes and, for
// printf, its format's widths and precisions, and refused unread when
// the bound is past what the execution has left.

// leafOverhead bounds what fmt writes around and for one scalar besides
// its text: a float's digits (%f of 1e308 has 309), a key's colon,
// brackets, spaces, a "%!d(string=…)" wrapper.
const leafOverhead = 400

// valueSize measures v for the bounds: how many scalars it holds (a map's
// keys and values, a struct's fields, a slice's elements; at least one)
// and how many bytes its strings hold. Only what a template can reach is
// walked (the data, strings, numbers, maps); depth is capped, and past it
// a value counts as one more scalar of no text, which the caller's cap on
// depth makes moot for the data templates see.
func valueSize(v any) (leaves, bytes int) {
	var walk func(r reflect.Value, depth int)
	walk = func(r reflect.Value, depth int) {
		if depth > 8 || !r.IsValid() {
			leaves++
			return
		}
		switch r.Kind() {
		case reflect.String:
			leaves++
			bytes += r.Len()
		case reflect.Map:
			it := r.MapRange()
			for it.Next() {
				walk(it.Key(), depth+1)
				walk(it.Value(), depth+1)
			}
			leaves++ // the brackets, an empty map's text
		case reflect.Slice, reflect.Array:
			if r.Kind() == reflect.Slice && r.Type().Elem().Kind() == reflect.Uint8 {
				leaves++
				bytes += r.Len()
				return
			}
			for i := range r.Len() {
				walk(r.Index(i), depth+1)
			}
			leaves++
		case reflect.Struct:
			for i := range r.NumField() {
				walk(r.Field(i), depth+1)
				bytes += len(r.Type().Field(i).Name) // %+v names them
			}
			leaves++
		case reflect.Pointer, reflect.Interface:
			if r.IsNil() {
				leaves++
				return
			}
			walk(r.Elem(), depth+1)
		default:
			leaves++
		}
	}
	walk(reflect.ValueOf(v), 0)
	return leaves, bytes
}

// printBound bounds fmt.Sprint, Sprintln and the escapers of args (html,
// js, urlquery print their arguments with Sprint first, then escape each
// byte to at most six): each scalar's text and overhead, times factor.
func printBound(factor int, args ...any) int {
	n := 0
	for _, a := range args {
		leaves, bytes := valueSize(a)
		n += factor * (bytes + leaves*leafOverhead)
	}
	return n + 2*len(args) + 1
}

// maxFmtNumber is past any width or precision fmt accepts (it stops
// reading digits once the number passed a million, so at most about ten
// million), so that a bound from it is never short.
const maxFmtNumber = 1e7 + 9

// printfBound bounds the bytes fmt.Sprintf(format, args...) returns, reading
// format as fmt does: each verb writes its argument (every scalar of it,
// for maps, structs and slices, each padded to the width) with its width
// and precision, or a short error text; the arguments no verb used are
// written once more at the end (%!(EXTRA …)). Strings may grow tenfold
// under %q (\U escapes) and threefold under % x; every other verb is
// given twice their length.
func printfBound(format string, args []any) int {
	n := len(format) + printBound(10, args...) // the EXTRA list, at worst
	arg := 0
	intArg := func() int {
		if arg >= len(args) {
			return 0
		}
		w := 0
		switch x := args[arg].(type) {
		case int:
			w = x
		case int64:
			w = int(min(max(x, -maxFmtNumber), maxFmtNumber))
		}
		arg++
		return min(max(w, -w), 1_000_000) // fmt refuses a larger one
	}
	for i := 0; i < len(format); {
		if format[i] != '%' {
			i++
			continue
		}
		i++
		for i < len(format) && (format[i] == '+' || format[i] == '-' || format[i] == '#' || format[i] == ' ' || format[i] == '0') {
			i++
		}
		i, arg = fmtArgIndex(format, i, arg)
		width, precision := 0, 0
		if i < len(format) && format[i] == '*' {
			width, i = intArg(), i+1
		} else {
			width, i = fmtNumber(format, i)
		}
		if i < len(format) && format[i] == '.' {
			i++
			i, arg = fmtArgIndex(format, i, arg)
			if i < len(format) && format[i] == '*' {
				precision, i = intArg(), i+1
			} else {
				precision, i = fmtNumber(format, i)
			}
		}
		i, arg = fmtArgIndex(format, i, arg)
		if i >= len(format) {
			n += 16 // %!(NOVERB)
			break
		}
		verb, size := utf8.DecodeRuneInString(format[i:])
		i += size
		if verb == '%' {
			n++
			continue
		}
		factor := 2
		switch verb {
		case 'q':
			factor = 10
		case 'x', 'X':
			factor = 3
		}
		leaves, bytes := 1, 0
		if arg < len(args) {
			leaves, bytes = valueSize(args[arg])
			arg++
		}
		n += leaves*(width+precision+leafOverhead) + factor*bytes
	}
	return n
}

// fmtArgIndex skips an argument index "[n]" at format[i:], as fmt reads
// it, and returns where the format goes on and the argument next used.
func fmtArgIndex(format string, i, arg int) (int, int) {
	if i >= len(format) || format[i] != '[' {
		return i, arg
	}
	for j := i + 1; j < len(format); j++ {
		if format[j] == ']' {
			num, end := fmtNumber(format, i+1)
			if end != j || num < 1 {
				return j + 1, arg // %!(BADINDEX): fmt goes on after it
			}
			return j + 1, num - 1
		}
	}
	return len(format), arg
}

// fmtNumber reads the decimal number at format[i:], capped at
// maxFmtNumber, and returns it and the index after its digits.
func fmtNumber(format string, i int) (int, int) {
	n := 0
	for ; i < len(format) && '0' <= format[i] && format[i] <= '9'; i++ {
		n = min(n*10+int(format[i]-'0'), maxFmtNumber)
	}
	return n, i
}

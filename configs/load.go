package configs

import (
	"cmp"
	_ "embed"
	"errors"
	"slices"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultFile is the name errors use for the embedded demo config.
const DefaultFile = "default.yaml"

// DefaultYAML returns a copy of the embedded demo config.
func DefaultYAML() []byte { return slices.Clone(defaultYAML) }

// LoadDefault parses the embedded demo config.
func LoadDefault() (*Config, error) { return Parse(DefaultFile, defaultYAML) }

// Load reads and parses the config file at path. A file that cannot be
// read gives an *Error at its 1:1 that wraps the I/O error (errors.Is(err,
// fs.ErrNotExist) holds, ErrInvalid does not); a bad content gives what
// Parse gives. It
// reads at most MaxFileBytes+1 bytes, so a huge file costs no more than a
// file at the limit.
func Load(path string) (*Config, error) { return load(path, nil) }

// load is Load, with parse's inForce.
func load(path string, inForce *Aggregator) (*Config, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, errors.Join(err) // like every other config error
	}
	return parseFile(path, data, inForce)
}

// Parse decodes data over Default, applies the per-source defaults and
// validates the result. filename only names the file in errors.
//
// Decoding is strict: an unknown key, a value of the wrong type or a bad
// duration is an error. Every such error is reported, not only the first
// (up to MaxDecodeErrors), and validation still runs on the rest of the
// file, the keys refused left at their defaults: the result holds every
// problem of the file, in file order. Only a YAML syntax error or a limit
// stops loading at once. Aliases are expanded first (within the limits),
// so an error in a value given through an alias is reported at the alias,
// under its path. Either way the error is an errors.Join of *Error, each
// with its file, line, column and field path (see Errors), and
// errors.Is(err, ErrInvalid) holds.
//
// Time and memory are bounded whatever data holds: see the limits in
// limits.go, each checked before the step whose cost it bounds.
func Parse(filename string, data []byte) (*Config, error) {
	return parse(filename, data, nil)
}

// parse is Parse, with the sources held to the aggregator limits inForce
// when it is not nil (see ParseInForce), to the file's own otherwise.
func parse(filename string, data []byte, inForce *Aggregator) (*Config, error) {
	cfg, _, _, err := parseDoc(filename, data, inForce)
	return cfg, err
}

// parseFile is parse for a file the user gave: it must also say which
// sources to run (sourcesStated), checked once it is otherwise valid, so
// that a broken file's own errors are not buried under this one.
func parseFile(filename string, data []byte, inForce *Aggregator) (*Config, error) {
	cfg, body, doc, err := parseDoc(filename, data, inForce)
	if err != nil {
		return nil, err
	}
	if e := sourcesStated(filename, body, doc); e != nil {
		return nil, errors.Join(e)
	}
	return cfg, nil
}

// parseDoc is parse, and the document's body and positions, for the
// checks of parseFile.
func parseDoc(filename string, data []byte, inForce *Aggregator) (*Config, ast.Node, positions, error) {
	body, err := parseYAML(filename, data)
	if err != nil {
		return nil, nil, nil, errors.Join(err)
	}
	// A duplicate key does not hide the file's other errors: the decoder
	// takes its last value, and what that value breaks is reported too.
	// Checked as written, before the aliases are expanded in place.
	dup := checkDuplicateKeys(filename, body)
	ex := expandAliases(body)
	body = ex.body
	doc, tokens := indexTokens(body, ex.via)
	d := decoded{cfg: Default(), cut: map[string]bool{}, complete: true}
	if body != nil {
		// NodeToValue panics on a nil node: an empty file keeps every default.
		d = decodeAll(filename, body, doc, tokenPaths{paths: tokens, via: ex.via})
	}
	if dup != nil {
		d.errs = append(d.errs, dup)
	}
	for _, e := range fractionErrors(filename, doc) {
		d.errs = append(d.errs, e)
		d.cut[e.Path] = true // the decoder truncated it: validation would judge another number
	}
	if !d.complete {
		sortErrors(d.errs)
		return nil, nil, nil, join(d.errs)
	}
	present := docKeys{doc: doc.without(d.cut)}
	d.cfg.applyDefaults(present)
	if err := d.cfg.validate(present, inForce); err != nil {
		located := Errors(locate(filename, doc, err))
		noteDefaults(located, doc, d.cfg)
		for _, e := range located {
			if !underAny(e.Path, d.cut) {
				d.errs = append(d.errs, e)
			}
		}
	}
	if len(d.errs) > 0 {
		sortErrors(d.errs)
		return nil, nil, nil, join(d.errs)
	}
	return d.cfg, body, doc, nil
}

// parseYAML checks data against the limits and parses it into the one
// document's body, nil when it has none. The error is one *Error.
func parseYAML(filename string, data []byte) (ast.Node, *Error) {
	if len(data) > MaxFileBytes {
		return nil, sizeError(filename, data)
	}
	if err := encodingError(filename, data); err != nil {
		return nil, err
	}
	data = normalizeText(data)
	if err := checkTokenCount(filename, data); err != nil {
		return nil, err
	}
	tokens := lexer.Tokenize(string(data))
	if tokens.InvalidToken() == nil { // else Parse reports it, at once
		if err := checkTokens(filename, tokens); err != nil {
			return nil, err
		}
	}
	// Duplicate keys are checked by parse, with better errors than the
	// parser's own, beside the file's other errors.
	file, err := parser.Parse(tokens, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		return nil, yamlError(filename, nil, err)
	}
	body, bodyErr := documentBody(filename, file)
	if bodyErr != nil {
		return nil, bodyErr
	}
	if err := checkAliases(filename, body); err != nil {
		return nil, err
	}
	return body, nil
}

// decodeBody decodes a node of the document into into (a *Config, or an
// element of one of its lists). go-yaml panics on some
// inputs that its parser accepts (a tagged scalar where a list belongs,
// found by FuzzParse); such a panic becomes an error at the document's
// start rather than taking the reloader, or `check`, down. Literal
// duplicate keys are already refused (checkDuplicateKeys); allowing them here
// lets a key override one merged in with "<<: *anchor".
func decodeBody(body ast.Node, into any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errDecodePanic
		}
	}()
	return yaml.NodeToValue(body, into, yaml.Strict(), yaml.AllowDuplicateMapKey())
}

// errDecodePanic is a panic of the YAML decoder, as an error.
var errDecodePanic = errors.New("the YAML decoder failed on this file (a construct it cannot decode); write it plainly")

// documentBody returns the one document's content, nil when the file has
// none (only comments, or nothing).
func documentBody(filename string, file *ast.File) (ast.Node, *Error) {
	var body ast.Node
	for _, d := range file.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		if _, ok := d.Body.(*ast.DirectiveNode); ok {
			continue // "%YAML 1.2" before the document's "---"
		}
		if body != nil {
			at := tokenPos(d.Body.GetToken())
			if d.Start != nil {
				at = tokenPos(d.Start)
			}
			return nil, &Error{File: filename, Line: at.line, Col: at.col, Msg: "only one YAML document is allowed"}
		}
		body = d.Body
	}
	return body, nil
}

// locate points each validation error at its place in the file.
func locate(filename string, doc positions, err error) error {
	errs := Errors(err)
	located := make([]*Error, len(errs))
	for i, e := range errs {
		at, via := doc.locateVia(e.Path, e.atKey)
		msg := e.Msg
		if via.name != "" {
			msg += " " + via.note()
		}
		located[i] = &Error{File: filename, Line: at.line, Col: at.col, Path: e.Path, Msg: shorten(msg), atKey: e.atKey}
	}
	sortErrors(located)
	return join(located)
}

// sortErrors puts errors in file order, the way an editor walks them.
func sortErrors(errs []*Error) {
	slices.SortStableFunc(errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
}

func join(errs []*Error) error {
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}

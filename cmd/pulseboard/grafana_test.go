package main

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// configs/grafana-dashboard.json must import into Grafana as it is and
// chart only what pulseboard exports: every metric its queries name is
// looked for on /metrics of the demo config, run in-process.

const grafanaDashboard = "../../configs/grafana-dashboard.json"

// grafanaJSON is the part of Grafana's dashboard model these tests read.
type grafanaJSON struct {
	UID           string                      `json:"uid"`
	Title         string                      `json:"title"`
	SchemaVersion int                         `json:"schemaVersion"`
	Panels        []grafanaPanel              `json:"panels"`
	Templating    struct{ List []grafanaVar } `json:"templating"`
}

type grafanaPanel struct {
	ID         int                      `json:"id"`
	Type       string                   `json:"type"`
	Title      string                   `json:"title"`
	Datasource *grafanaDatasource       `json:"datasource"`
	GridPos    struct{ H, W, X, Y int } `json:"gridPos"`
	Targets    []struct {
		Expr  string `json:"expr"`
		RefID string `json:"refId"`
	} `json:"targets"`
	Panels []grafanaPanel `json:"panels"` // a collapsed row's panels
}

type grafanaDatasource struct{ Type, UID string }

type grafanaVar struct {
	Name  string          `json:"name"`
	Type  string          `json:"type"`
	Query json.RawMessage `json:"query"` // a string, or {"query": …} for Prometheus
}

// queries returns every PromQL expression of the dashboard, each with where
// it comes from, and the names of its variables.
func (d grafanaJSON) queries(t *testing.T) (exprs map[string]string, vars []string) {
	t.Helper()
	exprs = map[string]string{}
	var walk func([]grafanaPanel)
	walk = func(ps []grafanaPanel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				exprs[p.Title+" "+tg.RefID] = tg.Expr
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		vars = append(vars, v.Name)
		if v.Type != "query" {
			continue
		}
		var q struct{ Query string }
		if err := json.Unmarshal(v.Query, &q); err != nil {
			require.NoError(t, json.Unmarshal(v.Query, &q.Query), "variable %s", v.Name)
		}
		m := labelValues.FindStringSubmatch(q.Query)
		require.NotNil(t, m, "variable %s: want label_values(selector, label), got %q", v.Name, q.Query)
		exprs["variable "+v.Name] = m[1]
	}
	return exprs, vars
}

var (
	labelValues = regexp.MustCompile(`^label_values\((.+),\s*[a-zA-Z_]\w*\)$`)
	// Grafana's interval variables stand where PromQL wants a duration.
	intervalVar = regexp.MustCompile(`\$\{?__(rate_interval|interval|range)\}?`)
	dashVar     = regexp.MustCompile(`\$\{?(\w+)`)
)

// metricNames parses a dashboard expression and returns the metric names it
// selects.
func metricNames(expr string) ([]string, error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(intervalVar.ReplaceAllString(expr, "5m"))
	if err != nil {
		return nil, err
	}
	var names []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			names = append(names, vs.Name)
		}
		return nil
	})
	return names, nil
}

func TestMetricNamesOfAnExpression(t *testing.T) {
	got, err := metricNames(`sum by (source) (rate(a_total{job="$job", source=~"$source"}[$__rate_interval]))
		/ on (source) group_left b{x="by (c)"} and time() - d offset 5m`)
	require.NoError(t, err)
	require.Equal(t, []string{"a_total", "b", "d"}, got)
	_, err = metricNames(`rate(a_total[$window])`)
	require.Error(t, err, "a variable Grafana does not fill in is no duration")
}

func loadGrafanaDashboard(t *testing.T) grafanaJSON {
	t.Helper()
	data, err := os.ReadFile(grafanaDashboard)
	require.NoError(t, err)
	var d grafanaJSON
	require.NoError(t, json.Unmarshal(data, &d))
	return d
}

// What Grafana's import needs, and what makes the dashboard usable there:
// a uid and title, panels with unique ids on the 24-column grid, every
// query on the datasource variable with a refId of its own, and only
// variables the dashboard defines.
func TestGrafanaDashboardIsImportable(t *testing.T) {
	d := loadGrafanaDashboard(t)
	require.Regexp(t, `^[a-zA-Z0-9_-]{1,40}$`, d.UID)
	require.NotEmpty(t, d.Title)
	require.Positive(t, d.SchemaVersion)
	require.NotEmpty(t, d.Panels)

	ids := map[int]bool{}
	for _, p := range d.Panels {
		require.False(t, ids[p.ID], "panel id %d twice", p.ID)
		ids[p.ID] = true
		require.NotEmpty(t, p.Title, "panel %d", p.ID)
		require.True(t, p.GridPos.W > 0 && p.GridPos.H > 0 && p.GridPos.X >= 0 && p.GridPos.X+p.GridPos.W <= 24, "panel %q: gridPos %+v", p.Title, p.GridPos)
		if p.Type == "row" {
			continue
		}
		require.Equal(t, &grafanaDatasource{Type: "prometheus", UID: "${datasource}"}, p.Datasource, p.Title)
		require.NotEmpty(t, p.Targets, p.Title)
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			require.NotEmpty(t, tg.RefID, p.Title)
			require.False(t, refs[tg.RefID], "panel %q: refId %s twice", p.Title, tg.RefID)
			refs[tg.RefID] = true
		}
	}

	exprs, vars := d.queries(t)
	require.Contains(t, vars, "datasource")
	require.Contains(t, vars, "source", "the dashboard is templated on source")
	for where, expr := range exprs {
		for _, m := range dashVar.FindAllStringSubmatch(intervalVar.ReplaceAllString(expr, ""), -1) {
			require.Contains(t, vars, m[1], "%s: $%s is not a variable of the dashboard", where, m[1])
		}
	}
}

func TestGrafanaDashboardQueriesOnlyExportedMetrics(t *testing.T) {
	exprs, _ := loadGrafanaDashboard(t).queries(t)
	want := map[string][]string{} // metric -> where it is queried
	for where, expr := range exprs {
		names, err := metricNames(expr)
		require.NoError(t, err, "%s: %s", where, expr)
		require.NotEmpty(t, names, "%s queries no metric: %s", where, expr)
		for _, n := range names {
			want[n] = append(want[n], where)
		}
	}

	f := startReload(t, "", true) // the embedded demo config
	// Some metrics appear only once there is data: window statistics after
	// the first samples, a rate after a counter's second one.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		have := exportedNames(c, f.base+"/metrics")
		var missing []string
		for n, where := range want {
			if !have[n] {
				slices.Sort(where)
				missing = append(missing, n+" (in "+strings.Join(where, "; ")+")")
			}
		}
		slices.Sort(missing)
		assert.Empty(c, missing, "queried by the dashboard, not on /metrics")
	}, waitLong, 100*tick)
}

// exportedNames returns the names of the samples on a /metrics page: a
// summary's family name, with _sum and _count; a histogram's _bucket, _sum
// and _count.
func exportedNames(c *assert.CollectT, url string) map[string]bool {
	resp, err := http.Get(url)
	if !assert.NoError(c, err) {
		return nil
	}
	defer resp.Body.Close()
	if !assert.Equal(c, http.StatusOK, resp.StatusCode) {
		return nil
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if !assert.NoError(c, err) {
		return nil
	}
	names := map[string]bool{}
	for name, mf := range families {
		if len(mf.GetMetric()) == 0 {
			continue
		}
		switch mf.GetType().String() {
		case "SUMMARY":
			names[name], names[name+"_sum"], names[name+"_count"] = true, true, true
		case "HISTOGRAM", "GAUGE_HISTOGRAM":
			names[name+"_bucket"], names[name+"_sum"], names[name+"_count"] = true, true, true
		default:
			names[name] = true
		}
	}
	return names
}

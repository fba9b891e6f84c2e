package collectors

import (
	"context"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

func init() { Register(configs.TypeConstant, newConstantSource) }

type constantSource struct {
	spec configs.ConstantSpec
	env  Env
}

func newConstantSource(cfg configs.Source, env Env) (Source, error) {
	spec, err := specOf[*configs.ConstantSpec](cfg)
	if err != nil {
		return nil, err
	}
	return &constantSource{spec: *spec, env: env}, nil
}

func (c *constantSource) Describe() string { return "constant " + c.spec.Metric }

func (c *constantSource) Poll(context.Context) ([]aggregator.Sample, error) {
	return []aggregator.Sample{{Metric: c.spec.Metric, Kind: aggregator.KindGauge, TimeMs: c.env.now().UnixMilli(), Value: c.spec.Value}}, nil
}

package gisexchange

import (
	"context"
	"errors"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
)

var gistestBuilderOpts = giszhkh.BuilderOptions{}

// noClient fails every call: planning must not talk to GIS.
type noClient struct{}

func (noClient) Send(context.Context, *giszhkh.Request) (giszhkh.Ack, giszhkh.Exchange, error) {
	return giszhkh.Ack{}, giszhkh.Exchange{}, errors.New("planning must not send")
}

func (noClient) GetState(context.Context, *giszhkh.Request) (*giszhkh.State, giszhkh.Exchange, error) {
	return nil, giszhkh.Exchange{}, errors.New("planning must not poll")
}

package config

import "encoding/json"

type ServiceConfig struct {
	Timeout int `json:"timeout"`
}

var serviceConfig ServiceConfig

// called from several config.Watch() callbacks at once
func updateConfig(data []byte) error {
	return json.Unmarshal(data, &serviceConfig)
}

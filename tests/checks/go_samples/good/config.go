package config

import (
	"encoding/json"
	"sync"
)

type ServiceConfig struct {
	Timeout int `json:"timeout"`
}

var configMu sync.RWMutex
var serviceConfig ServiceConfig

func updateConfig(data []byte) error {
	configMu.Lock()
	defer configMu.Unlock()
	return json.Unmarshal(data, &serviceConfig) // atomic for readers
}

func parse(data []byte) (ServiceConfig, error) {
	var local ServiceConfig
	err := json.Unmarshal(data, &local)
	return local, err
}

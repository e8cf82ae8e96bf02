module example.com/etcd-chaos

go 1.23

require github.com/eris-chaos/eris/sdk/go v0.0.0

require (
	go.yaml.in/yaml/v2 v2.4.2 // indirect
	sigs.k8s.io/yaml v1.6.0 // indirect
)

// A local checkout of eris; drop this line to take the SDK from its repository.
replace github.com/eris-chaos/eris/sdk/go => ../../sdk/go

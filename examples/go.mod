module github.com/restwell/restwell/examples

go 1.25

require github.com/restwell/restwell v0.0.0

require (
	github.com/google/uuid v1.6.0 // indirect
	github.com/santhosh-tekuri/jsonschema/v5 v5.3.1 // indirect
)

replace github.com/restwell/restwell => ../

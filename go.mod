module github.com/restwell/restwell

go 1.25

require github.com/google/uuid v1.6.0

require github.com/santhosh-tekuri/jsonschema/v5 v5.3.1

require golang.org/x/time v0.14.0

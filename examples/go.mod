module github.com/restwell/restwell/examples

go 1.25

require github.com/restwell/restwell v0.0.0

replace github.com/restwell/restwell => ../

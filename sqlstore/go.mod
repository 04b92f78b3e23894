module github.com/restwell/restwell/sqlstore

go 1.25

require github.com/restwell/restwell v0.0.0

replace github.com/restwell/restwell => ../

if date "date" "year" "2007" { keep; }

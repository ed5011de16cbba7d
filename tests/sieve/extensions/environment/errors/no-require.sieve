if environment "location" "MDA" { keep; }

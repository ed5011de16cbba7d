require ["date", "fileinto"];
if not currentdate :zone "+0000" "iso8601" "1970-01-02T00:00:01+00:00" { fileinto "epoch"; }
if not currentdate :zone "+0000" "julian" "40588" { fileinto "julian"; }

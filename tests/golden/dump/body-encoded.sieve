require ["body", "encoded-character", "fileinto"];
if body :text :contains "unsubscribe" { fileinto "Newsletters"; }
if body :content "text/html" :contains "${hex:3c 61}" { fileinto "HTML"; }
if body :raw :matches "*${unicode:263a}*" { keep; }

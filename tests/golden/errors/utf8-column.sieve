# columns count code points: the caret sits under the tag
if header :is "subject" "Grüße aus Köln" { keep :flagz; }

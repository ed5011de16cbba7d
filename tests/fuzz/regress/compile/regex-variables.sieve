require ["fileinto", "variables", "regex"];
if header :regex "subject" "^\\[(.*)\\]" { set "tag" "${1}"; fileinto "Tags/${tag}"; stop; }
if address :all :is "from" ["a@b", "c@d", "e@f", "g@h"] { discard; }

require ["regex", "variables"];
# estimated at 40.4 MiB with captures under i;ascii-casemap: refused
# at the default max-regex-memory, matches at 41M on the heap stack
if header :regex "subject" "^(1{255}){60}b|^(a{16}){16}$" { set "c" "${1}"; discard; }

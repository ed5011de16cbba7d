require ["variables", "fileinto", "regex"];
set "folder" "Archive";
set :lower :upperfirst "who" "SOMEONE";
if header :matches "subject" "[*] *" {
  set "list" "${1}";
  fileinto "Lists/${list}";
}
if header :regex "x-ticket" "^#([0-9]+)$" {
  fileinto "${folder}/${1}";
}
if string :is "${who}" "Someone" { stop; }

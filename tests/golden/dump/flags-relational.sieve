require ["imap4flags", "relational", "comparator-i;ascii-numeric", "fileinto", "variables"];
if header :value "ge" :comparator "i;ascii-numeric" "x-spam-score" "10" {
  addflag "\\Seen";
  fileinto :flags ["\\Seen", "Junk"] "Junk";
}
if address :count "gt" :comparator "i;ascii-numeric" ["to", "cc"] "5" {
  setflag "mine" "$Bulk";
  removeflag "mine" "$Other";
}
if hasflag :contains "mine" "Bulk" { keep :flags "${mine}"; }

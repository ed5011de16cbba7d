require ["reject", "ereject"];
ereject "no";
reject "no";

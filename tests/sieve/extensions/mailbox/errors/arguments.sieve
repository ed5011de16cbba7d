require ["fileinto", "mailbox"];
if mailboxexists { keep; }
if mailboxexists "A" "B" { keep; }
if mailboxexists :create "A" { keep; }
fileinto :create;
mailboxexists "A";
redirect :create "a@example.com";

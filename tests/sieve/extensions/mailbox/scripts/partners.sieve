require ["fileinto", "mailbox"];
if mailboxexists "Partners" {
	fileinto :create "Auto.Created";
}

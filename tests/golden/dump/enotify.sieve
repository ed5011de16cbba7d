require ["enotify", "variables", "reject", "ereject"];
set :encodeurl "subject" "New mail";
if valid_notify_method "mailto:a@example.net" {
	notify :from "me@example.org" :importance "1" :options "x=y" :message "m"
		"mailto:a@example.net?subject=${subject}";
}
if notify_method_capability :is "mailto:a@example.net" "online" "maybe" {
	reject "Not now";
} else {
	ereject "Never";
}

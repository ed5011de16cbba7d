require ["comparator-i;unicode-casemap", "fileinto"];
# literal keys: prepared once, kept with the compiled script
if header :is :comparator "i;unicode-casemap" "subject" ["ärger", "zwei", "drei", "vier"] {
	fileinto "Ärger";
} elsif header :matches :comparator "i;unicode-casemap" "subject" "*köln*" {
	fileinto "Köln";
}

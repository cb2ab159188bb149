
01HZX3Q4M8N7P6R5S4T3V2W1X0Rejectedseed-key-0001"
node-hebei0€¨âˆý1:01HZX3Q4M8N7P6R5S4T3V2W1W9ú©
¤
validation.too_longform.representativeness%"form.representativeness" is too long"$1,203 characters, the limit is 1,000*'shorten it to 1,000 characters or fewer

01HZX3Q4M8N7P6R5S4T3V2W1X0GetSubmissionseed-key-0001"
node-hebei*)
	zhang.weicounty_bureau130131"stats0€¨âˆý1j*seed-key-0001
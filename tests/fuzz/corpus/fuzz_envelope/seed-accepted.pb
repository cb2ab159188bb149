
01HZX3Q4M8N7P6R5S4T3V2W1X0Acceptedseed-key-0001"
node-hebei0€¨âˆý1òreports @cHû¨âˆý1
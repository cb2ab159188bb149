
01HZX3Q4M8N7P6R5S4T3V2W1X0DivisionListseed-key-0001"
node-hebei0€¨âˆý1’3
1
130131	å¹³å±±åŽ¿"130100:
2020-12-31B130132

01HZX3Q4M8N7P6R5S4T3V2W1X0SubmitObjectionseed-key-0001"
node-hebei*)
	zhang.weicounty_bureau130131"stats0����1b�
MB-2024-000017王芳平山县某合作社"0311-87654321*wang.fang@example.cn26申报材料中的产量数据与统计年鉴不符。
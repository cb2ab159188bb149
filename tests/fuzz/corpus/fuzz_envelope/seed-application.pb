
01HZX3Q4M8N7P6R5S4T3V2W1X0SubmitApplicationseed-key-0001"
node-hebei*)
	zhang.weicounty_bureau130131"stats0����1Z�
mountain_baseR�
*平山县食用菌科技示范工程基地平山县农业科学研究所130131"	食用菌**河北省石家庄市平山县西柏坡镇2https://example.org/base:=
张伟	研究员1975-04"11010519491231002X213800138000JQ
李娜教授1968-11"13013119681101002720311-87654321:lina@example.edu.cnz<
同意申报
2024-03-01"平山县农业科学研究所��
产业发展基础"三年目标Jo
营业执照.pdfhttps://example.org/a.pdf@e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855�
2024-02-28
package store

// SearchForms exposes the search's query forms to the plan test.
var SearchForms = map[string]string{
	"number": searchAccountNumber, "els": searchAccountELS, "zhku": searchAccountZhku, "payer": searchAccountPayer,
	"address": searchAccountAddress, "email": searchResidentEmail, "phone": searchResidentPhone, "name": searchResidentName,
}
